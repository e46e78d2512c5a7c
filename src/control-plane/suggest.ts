// Did-you-mean candidates: the implementation is shared with the CLI (src/inputs/suggest.ts).
export { didYouMean, levenshtein } from '../inputs/suggest.js';
