/**
 * Schemathesis closes with pytest's banner ("===== 2 warnings in 5.37s ====="),
 * which CI tooling reads as a pytest run that executed no test. Its output is
 * passed on line by line with such banners reframed ("[schemathesis] 2 warnings
 * in 5.37s"); every other line is unchanged.
 */
export function reframeBanner(line: string): string {
  const banner = /^=+ (.+?) =+$/.exec(line.trim());
  return banner ? `[schemathesis] ${banner[1]}` : line;
}

export function relayReframed(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  let pending = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      to.write(`${reframeBanner(line)}\n`);
    }
  });
  from.on('end', () => {
    if (pending !== '') {
      to.write(`${reframeBanner(pending)}\n`);
    }
  });
}
