// Runs one engine suite by name (ctest runs each), or all of them without an argument.
#include <QCoreApplication>
#include <QTest>

#include <cstring>

#include "EngineTests.h"
#include "engine/core/Runtime.h"

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  roundlab::setComputeThreads(1);
  const char* suite = argc > 1 && argv[1][0] != '-' ? argv[1] : nullptr;
  // Qt Test gets the remaining arguments (e.g. a test function name).
  std::vector<char*> rest{argv[0]};
  for (int i = suite ? 2 : 1; i < argc; ++i) rest.push_back(argv[i]);
  const int n = static_cast<int>(rest.size());
  int failed = 0;
  auto run = [&](const char* name, QObject&& tests) {
    if (!suite || std::strcmp(suite, name) == 0) failed += QTest::qExec(&tests, n, rest.data());
  };
  run("models", ModelTests());
  run("capture", CaptureTests());
  run("data", DataTests());
  run("evaluation", EvaluationTests());
  run("quantizers", QuantizerTests());
  run("reconstruction", ReconstructionTests());
  run("activations", ActivationQuantizationTests());
  run("outputloss", OutputLossTests());
  run("propagation", PropagationTests());
  run("importance", ImportanceTests());
  run("session", SessionTests());
  return failed;
}
