import { describeFaults } from './matrix';

describeFaults('modelStudio');
