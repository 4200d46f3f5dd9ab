/** gradpath as a library: the tensor engine, nn modules and optimizers. */
export { GradpathError } from './util/errors.js';
