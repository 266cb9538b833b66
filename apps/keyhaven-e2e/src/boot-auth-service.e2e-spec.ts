import { describeBoot } from './support/boot-contract';

describeBoot('auth-service');
