import { postgresPrismaConfig } from '../config/prisma-configs.ts';

export default postgresPrismaConfig('book', import.meta.dirname);
