import { describeBoot } from './support/boot-contract';

describeBoot('release-api');
