import { sqlitePrismaConfig } from '../config/prisma-configs.ts';

export default sqlitePrismaConfig('review', import.meta.dirname);
