import type { Command } from 'commander';
import type { Page, ProjectInfo } from '../api-types.js';
import { commandContext } from '../context.js';
import { age } from '../format.js';
import type { CliIo } from '../io.js';
import type { TableView } from '../output.js';
import { resourceName } from '../parsers.js';

export function registerProjectCommands(program: Command, io: CliIo): void {
  const project = program.command('project').description('projects own instances and carry their costs');

  project
    .command('list')
    .description('list projects')
    .action(async (_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const page = await ctx.client.get<Page<ProjectInfo>>('/v1/projects');
      ctx.printer.result(page.items, () => projectTable(page.items));
    });

  project
    .command('create')
    .description('create a project')
    .argument('<name>', 'project name: lowercase letters, digits and "-"', resourceName)
    .option('--description <text>', 'what the project is for')
    .action(async (name: string, flags: { description?: string }, command: Command) => {
      const ctx = commandContext(command, io);
      const created = await ctx.client.post<ProjectInfo>('/v1/projects', { name, description: flags.description });
      ctx.printer.result(created, () => projectTable([created]));
    });
}

function projectTable(projects: ProjectInfo[]): TableView {
  return {
    head: ['ID', 'NAME', 'DESCRIPTION', 'AGE'],
    rows: projects.map((p) => [p.id, p.name, p.description, age(p.createdAt)]),
  };
}
