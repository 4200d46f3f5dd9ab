import { defineCommand } from '../../../cli/args.js';
export const flappyCommand = defineCommand({ name: 'flappy', summary: 'todo', options: {}, run() {} });
