#pragma once
// The user's preferences (Edit ▸ Preferences), kept in the settings under "preferences/": the
// compute threads, what a new Run form starts with, the activation memory before spilling to
// disk, the colour scheme, the plots' font scale, the autosave of runs and where sessions go.
#include <QString>

#include "engine/pipeline/QuantizationRequest.h"

namespace roundlab::app {

struct Preferences {
  int threads = 1;  // LibTorch threads from the next start (--threads overrides)
  QString method = "recommended";
  int iterations = 500;
  int64_t activationMemoryMiB = 2048;  // calibration activations beyond this go to a temporary file
  int colorScheme = 0;                 // 0 follow the system, 1 light, 2 dark
  double plotFontScale = 1.0;
  bool autosave = true;   // each new run is saved for recovery after a crash
  QString sessionFolder;  // empty: the documents folder

  static Preferences load();
  void save() const;
  // Where Save session proposes to write: the folder chosen, or the documents folder.
  QString sessionDirectory() const;
  // What a new Run form holds: the built-in settings with this method, iterations and memory.
  QuantizationRequest defaultRequest() const;
};

// The thread count saved in the preferences, read before the application object exists (the
// process may restart itself for its OpenMP set-up before Qt starts); the application's names
// must be set.
int savedThreadPreference();

}  // namespace roundlab::app
