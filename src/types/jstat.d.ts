/** Minimal typing of the `jstat` package (no bundled types): the normal distribution's cdf, used by NetMedic. */
declare module 'jstat' {
  const pkg: {
    jStat: {
      normal: { cdf(x: number, mean: number, std: number): number };
      /** Regularized incomplete beta I_x(a, b); the F survival function of Granger's test (granger.ts) is built on it. */
      ibeta(x: number, a: number, b: number): number;
      /** The F distribution (Granger's ssr F-test, granger.ts). */
      centralF: { cdf(x: number, df1: number, df2: number): number };
    };
  };
  export default pkg;
}
