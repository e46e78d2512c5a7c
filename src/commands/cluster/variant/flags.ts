// The options shared by `variant add` and `variant update`.
import { Option, type Command } from 'commander';

export function variantOptions(cmd: Command): Command {
  return cmd
    .option('--weight <n>', 'traffic weight, a whole number from 0 to 1000 (0 = standby)')
    .addOption(new Option('--status <status>', 'draining stops new traffic to the whole variant').choices(['active', 'draining']))
    .option('--description <text>', 'free text, up to 500 characters')
    .option('--dry-run', 'print the plan without changing anything');
}
