import { postgresPrismaConfig } from '../config/prisma-configs.ts';

export default postgresPrismaConfig('delivery', import.meta.dirname);
