export { AppError, type AppErrorOptions, type ErrorSpec } from './app-error.js';
export { CommonErrors } from './common-errors.js';
export { toProblem, type Problem } from './problem.js';
