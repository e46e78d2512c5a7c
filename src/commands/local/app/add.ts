import { Argument, type Command } from 'commander';
import { examples, lazyAction } from '../../define.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerAppAdd(app: Command): void {
  app
    .command('add')
    .alias('create')
    .addArgument(new Argument('<app>', 'app name (lower case letters, digits, dashes)'))
    .description('Create a local app from the addresses it listens on')
    .option('--addr <host:port>', 'an address the app listens on (repeat for more)', collect)
    .option('--no-addr', 'create the app without addresses (e.g. a proxy app run by its --deploy-cmd or elsewhere)')
    .option('--deploy-cmd <command>', 'shell command `cluster deploy` runs for this app (env OWNSTACK_APP, OWNSTACK_ADDRESS)')
    .option('--health-path <path>', 'path that answers 2xx/3xx when the app is healthy', '/')
    .addHelpText(
      'after',
      examples(
        'ownstack local app add my-rails-app --addr=127.0.0.1:3001 --addr=127.0.0.1:3002',
        'ownstack local app add worker --addr=10.0.0.5:8080 --deploy-cmd="systemctl restart worker" --health-path=/up',
        'ownstack local app add edge-proxy --no-addr --deploy-cmd="exec haproxy-wrapper"   # a bring-your-own proxy app',
      ),
    )
    .action(lazyAction(() => import('./add.run.js')));
}
