import { AriRest } from '../../ari/ari-rest';
import { AriSimulator } from '../support/ari-simulator';
import { waitFor } from '../support/wait-for';

describe('ARI REST client', () => {
  let sim: AriSimulator;
  let rest: AriRest | undefined;

  beforeEach(async () => {
    sim = await AriSimulator.start({ username: 'callbot', password: 'secret' });
  });

  afterEach(async () => {
    rest?.close();
    await sim.stop();
  });

  it('given requests in a row, then they share one kept-alive connection', async () => {
    rest = new AriRest(sim.url, 'callbot', 'secret', 1000, 5000);
    await rest.call('info', 'GET', '/asterisk/info');
    const after = sim.connectionsAccepted();
    for (let i = 0; i < 5; i += 1) await rest.call('info', 'GET', '/asterisk/info');
    expect(sim.connectionsAccepted()).toBe(after);
  });

  it('given a connection idle longer than its idle limit, then the client has closed it and the next request opens a new one', async () => {
    rest = new AriRest(sim.url, 'callbot', 'secret', 1000, 100);
    await rest.call('info', 'GET', '/asterisk/info');
    const after = sim.connectionsAccepted();
    // The server keeps a connection 5 s: one closed sooner was closed by the client.
    await waitFor(() => sim.connectionsClosed() === after, { what: 'the idle connection closed' });
    await rest.call('info', 'GET', '/asterisk/info');
    expect(sim.connectionsAccepted()).toBe(after + 1);
  });

  it('given an error answer, then it rejects with the status and Asterisk\'s message', async () => {
    rest = new AriRest(sim.url, 'callbot', 'secret', 1000);
    await expect(rest.call('get channel', 'GET', '/channels/nope')).rejects.toMatchObject({ status: 404, detail: 'Channel not found' });
  });
});
