// `node --import ./record-loads.mjs …`: appends the URL of every module the process loads to
// the file named by $OWNSTACK_LOAD_LOG (the hooks run on the loader thread; see record-loads-hooks.mjs).
import { register } from 'node:module';

register('./record-loads-hooks.mjs', import.meta.url, { data: { log: process.env.OWNSTACK_LOAD_LOG ?? '' } });
