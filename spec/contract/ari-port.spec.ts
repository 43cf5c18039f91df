import { silentLogger } from '../../config/logger';
import { AriAdapter } from '../../ari/ari-adapter';
import { AriSimulator } from '../support/ari-simulator';
import { FakeAri } from '../support/fake-ari';
import { waitFor } from '../support/wait-for';
import { describeAriPortContract } from './ari-port.contract';

describeAriPortContract('the in-memory fake', async () => {
  const port = new FakeAri();
  return { port, close: () => port.close() };
});

describeAriPortContract('the ARI adapter on the simulator', async () => {
  const sim = await AriSimulator.start({ username: 'callbot', password: 'test-password', apps: ['callbot'] });
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
});
