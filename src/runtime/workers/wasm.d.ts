// What `import module from '../../x.wasm'` gives in Workers (wrangler's CompiledWasm rule).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
