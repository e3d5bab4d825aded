import { rebuildNode, registerCredentialType } from '../harness';
import { registerProvider } from '../../nodes/ZImage/providers';
import { fakeCredentialType, fakeProvider } from '../fake/provider';
import { describeFaults } from './matrix';

// A provider added the way CONTRIBUTING.md says, run through the same generic fault matrix.
registerProvider(fakeProvider);
registerCredentialType(fakeCredentialType);
rebuildNode();

describeFaults('fake');
