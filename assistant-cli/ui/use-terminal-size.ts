/**
 * The terminal's size, updated when it is resized.
 */
import { useStdout } from "ink";
import { useEffect, useState } from "react";

/** Columns and rows of Ink's stdout; 80×24 when the stream does not say (tests, pipes). */
export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}
