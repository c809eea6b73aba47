// `import x from "file.so" with { type: "file" }` yields the path (embedded in dist/rr).
declare module "*.so" {
  const path: string;
  export default path;
}
declare module "*/rr-monitor" {
  const path: string;
  export default path;
}
