// Structured log lines on stderr, one event per line, key=value:
//   ts=2024-05-01T10:00:00.123Z level=info msg=serving listen=127.0.0.1:50051 port=50051
// Values with spaces, quotes or '=' are double-quoted with \" and \\ escaped.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace demarche::services {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Lines below `level` are dropped. Default: kInfo.
void SetLogLevel(LogLevel level);
// "debug", "info", "warn", "error"; false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

struct LogField {
  std::string_view key;
  std::string value;
};

void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});

}  // namespace demarche::services
