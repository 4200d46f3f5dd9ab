import type { FlappyGame } from './game.js';

/** Draws one frame of the game as text: '@' the bird, '#' pipes, '=' the ground. */
export function renderFrame(game: FlappyGame, cols = 64, rows = 20): string {
  const p = game.params;
  const sx = p.width / cols;
  const sy = p.height / rows;
  const grid = Array.from({ length: rows }, () => Array<string>(cols).fill(' '));
  for (const pipe of game.pipes) {
    for (let c = Math.floor(pipe.x / sx); c < Math.ceil((pipe.x + p.pipeWidth) / sx); c++) {
      if (c < 0 || c >= cols) continue;
      for (let r = 0; r < rows; r++) {
        const y = (r + 0.5) * sy;
        if (Math.abs(y - pipe.gapY) > p.gapHeight / 2) grid[r][c] = '#';
      }
    }
  }
  const br = Math.min(rows - 1, Math.max(0, Math.floor(game.y / sy)));
  grid[br][Math.floor(p.birdX / sx)] = game.alive ? '@' : 'X';
  const lines = grid.map((row) => '|' + row.join('') + '|');
  lines.push('+' + '='.repeat(cols) + '+');
  lines.push(`frame ${game.frame}  pipes ${game.pipesPassed}${game.alive ? '' : '  (crashed)'}`);
  return lines.join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Plays frames in the terminal with ANSI cursor movement, redrawing in place. Only for a TTY;
 * `advance` runs one frame and returns false when the episode is over.
 */
export async function watchInTerminal(game: FlappyGame, advance: () => boolean, maxFrames: number, out: NodeJS.WriteStream = process.stdout): Promise<void> {
  out.write('\x1b[?25l'); // hide the cursor while drawing
  let lines = 0;
  try {
    for (let f = 0; f < maxFrames; f++) {
      const going = advance();
      if (f % 2 === 0 || !going) {
        const text = renderFrame(game);
        if (lines) out.write(`\x1b[${lines}A`);
        out.write(text.split('\n').map((l) => l + '\x1b[K').join('\n') + '\n');
        lines = text.split('\n').length;
        await sleep(25);
      }
      if (!going) break;
    }
  } finally {
    out.write('\x1b[?25h');
  }
}
