import { describeFaults } from './matrix';

describeFaults('evolink');
