// Runs one engine suite by name (ctest runs each), or all of them without an argument.
#include <QCoreApplication>
#include <QTest>

#include <cstdio>
#include <cstring>
#include <string>

#include "EngineTests.h"
#include "engine/core/Runtime.h"

namespace testsupport {
std::vector<Suite>& suites() {
  static std::vector<Suite> all;
  return all;
}
}  // namespace testsupport

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  roundlab::setComputeThreads(1);
  const char* suite = argc > 1 && argv[1][0] != '-' ? argv[1] : nullptr;
  // Qt Test gets the remaining arguments (e.g. a test function name).
  std::vector<char*> rest{argv[0]};
  for (int i = suite ? 2 : 1; i < argc; ++i) rest.push_back(argv[i]);
  const int n = static_cast<int>(rest.size());
  int failed = 0;
  bool found = false;
  std::string names;
  for (const testsupport::Suite& s : testsupport::suites()) {
    names += std::string(names.empty() ? "" : ", ") + s.name;
    if (suite && std::strcmp(suite, s.name) != 0) continue;
    found = true;
    const std::unique_ptr<QObject> tests = s.make();
    failed += QTest::qExec(tests.get(), n, rest.data());
  }
  if (suite && !found) {
    std::fprintf(stderr, "no engine suite named '%s' (suites: %s)\n", suite, names.c_str());
    return 1;
  }
  return failed;
}
