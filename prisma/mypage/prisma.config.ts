import { sqlitePrismaConfig } from '../config/prisma-configs.ts';

export default sqlitePrismaConfig('mypage', import.meta.dirname);
