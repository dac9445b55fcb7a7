// @prisma/client names the Prisma CLI (`prisma`) and `typescript` as optional peers, and pnpm
// installs an optional peer wherever the workspace has it, so every production deploy of a
// subgraph carried the CLI and TypeScript (~90 MB) that the running service never loads (its
// generated client needs only @prisma/client's runtime). The CLI stays a devDependency of the
// packages that generate clients and write migrations.
// With the CLI no longer beside it, @prisma/client's own postinstall cannot find `prisma` and warns
// "please install Prisma CLI" on every first install. That postinstall only runs `prisma generate`
// for a schema at a package's root, which this repo has none of: each subgraph's build runs its own
// `prisma generate --config …` (generator "prisma-client", output in src/generated) with the CLI
// from its devDependencies. Prisma's documented switch skips it; lifecycle scripts inherit pnpm's env.
process.env.PRISMA_SKIP_POSTINSTALL_GENERATE = '1';

module.exports = {
  hooks: {
    readPackage(pkg) {
      if (pkg.name === '@prisma/client' && pkg.peerDependencies) {
        for (const name of ['prisma', 'typescript']) {
          delete pkg.peerDependencies[name];
          if (pkg.peerDependenciesMeta) delete pkg.peerDependenciesMeta[name];
        }
      }
      return pkg;
    },
  },
};
