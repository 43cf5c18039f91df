import { silentLogger } from '../../config/logger';
import { AriAdapter } from '../../ari/ari-adapter';
import { ASTERISK_VERSIONS, AriSimulator } from '../support/ari-simulator';
import { FakeAri } from '../support/fake-ari';
import { waitFor } from '../support/wait-for';
import { describeAriPortContract } from './ari-port.contract';

describeAriPortContract('the in-memory fake', async () => {
  const port = new FakeAri();
  return { port, close: () => port.close() };
});

// The simulator plays each supported Asterisk whose wire it models (its versions.ts), as the replay suite holds it to that version's captures.
describe.each(ASTERISK_VERSIONS)('playing Asterisk %s', (asterisk) => describeAriPortContract('the ARI adapter on the simulator', async () => {
  const sim = await AriSimulator.start({ username: 'callbot', password: 'test-password', apps: ['callbot'], asterisk });
  const port = new AriAdapter({ url: sim.url, username: 'callbot', password: 'test-password', app: 'callbot', logger: silentLogger(), requestTimeoutMs: 1000 });
  await port.start();
  await waitFor(() => port.isConnected(), { what: 'ARI connected' });
  return {
    port,
    async close() {
      await port.close();
      await sim.stop();
    },
  };
}));
