import { describeFaults } from './matrix';

describeFaults('odkkk');
