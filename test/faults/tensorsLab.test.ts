import { describeFaults } from './matrix';

describeFaults('tensorsLab');
