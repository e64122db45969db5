// Fuzzer self-test: a planted bug behind a 6-byte magic prefix checked one byte at a time.
// Blind random inputs would need about 2^48 tries; coverage feedback finds each nested branch
// in turn, so `fuzz/run.sh --self-test` proves the instrumentation really reaches our code.

export function fuzz(data: Buffer): void {
  if (data.length >= 6 && data[0] === 0x48) {
    if (data[1] === 0x41) {
      if (data[2] === 0x54) {
        if (data[3] === 0x4f) {
          if (data[4] === 0x21) {
            if (data[5] === 0x3f) throw new Error("HATO_PLANTED_BUG reached");
          }
        }
      }
    }
  }
}
