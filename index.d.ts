// The public types of the uxdp package; the implementation is the TypeScript facade in lib/.
export * from './dist/index'
