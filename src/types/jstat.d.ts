/** Minimal typing of the `jstat` package (no bundled types): the normal distribution's cdf, used by NetMedic. */
declare module 'jstat' { const pkg: { jStat: { normal: { cdf(x: number, mean: number, std: number): number } } }; export default pkg; }
