import { COMMANDS, commandMenus, commandNamed } from '../../telegram/command-table';
import { COMMAND_TEXT } from '../../telegram/texts';

describe('the command table', () => {
  it('given every listed command, then it has a /help line that starts with its name and a menu description', () => {
    for (const command of COMMANDS.filter((c) => c.listed)) {
      const text = COMMAND_TEXT[command.name as keyof typeof COMMAND_TEXT];
      expect(text.help.startsWith(`/${command.name}`)).toBe(true);
      expect(text.menu.length).toBeGreaterThan(3);
    }
  });

  it('given the menus, then agents see only their commands and admins see those and the admin ones, never /start', () => {
    const { agent, admin } = commandMenus();
    const names = (list: { command: string }[]) => list.map((c) => c.command);
    expect(names(agent)).toEqual(COMMANDS.filter((c) => c.listed && c.who !== 'admin').map((c) => c.name));
    expect(names(admin)).toEqual([...names(agent), ...COMMANDS.filter((c) => c.who === 'admin').map((c) => c.name)]);
    expect(names(admin)).not.toContain('start');
  });

  it('given a name, then routing finds the same entry the menus were built from', () => {
    for (const command of COMMANDS) expect(commandNamed(command.name)).toBe(command);
    expect(commandNamed('nope')).toBeUndefined();
  });
});
