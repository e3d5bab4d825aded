import { describeFaults } from './matrix';

describeFaults('fal');
