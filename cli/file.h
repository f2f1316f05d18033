// Files the CLI reads and writes whole: inputs ("-" is stdin) and outputs
// replaced atomically, so a crash leaves the old file or the new, never half.
#pragma once

#include <sys/types.h>

#include <string>

namespace demarche::cli {

// The file's bytes; stdin for "" or "-". Throws CliError (kRefused) naming it.
std::string ReadFileOrThrow(const std::string& path);

// Writes `bytes` to path + ".tmp", fsyncs, renames over `path`. Throws
// CliError (kOther) naming it.
void WriteFileAtomically(const std::string& path, const std::string& bytes, mode_t mode = 0644);

}  // namespace demarche::cli
