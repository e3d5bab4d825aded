import { describeFaults } from './matrix';

describeFaults('selfHosted');
