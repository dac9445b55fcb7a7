import { postgresPrismaConfig } from '../config/prisma-configs.ts';

export default postgresPrismaConfig('order', import.meta.dirname);
