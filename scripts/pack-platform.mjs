// Packs the main package and its linux-x64-gnu platform package into a folder, the way they
// would be published: the binary travels only in the platform package.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const out = resolve(process.argv[2] ?? join(root, 'target', 'pack'))
const binary = 'uxdp.linux-x64-gnu.node'
const platformDir = join(root, 'npm', 'linux-x64-gnu')

if (!existsSync(join(root, binary))) {
  console.error(`pack-platform: ${binary} is missing; run \`npm run build\` first`)
  process.exit(1)
}
mkdirSync(out, { recursive: true })
copyFileSync(join(root, binary), join(platformDir, binary))
const pack = (cwd) => JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd, encoding: 'utf8' }))[0]
const main = pack(root)
const platform = pack(platformDir)
console.log(JSON.stringify({ main: join(out, main.filename), platform: join(out, platform.filename), mainFiles: main.files.map((f) => f.path), platformFiles: platform.files.map((f) => f.path) }))
