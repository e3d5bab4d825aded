import { describeFaults } from './matrix';

describeFaults('replicate');
