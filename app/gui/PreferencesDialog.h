#pragma once
// Edit ▸ Preferences: one form over Preferences, with Restore defaults; OK keeps the values.
#include <QDialog>

#include "app/gui/Preferences.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace roundlab::app {

class PreferencesDialog : public QDialog {
  Q_OBJECT
 public:
  explicit PreferencesDialog(const Preferences& preferences, QWidget* parent = nullptr);
  Preferences value() const;
  void setValue(const Preferences& p);

  QSpinBox* threads() const { return threads_; }
  QComboBox* method() const { return method_; }
  QSpinBox* iterations() const { return iterations_; }
  QSpinBox* activationMemory() const { return memory_; }
  QComboBox* colorScheme() const { return scheme_; }
  QDoubleSpinBox* plotFontScale() const { return fontScale_; }
  QCheckBox* autosave() const { return autosave_; }
  QLineEdit* sessionFolder() const { return folder_; }

 private:
  QSpinBox* threads_;
  QComboBox* method_;
  QSpinBox *iterations_, *memory_;
  QComboBox* scheme_;
  QDoubleSpinBox* fontScale_;
  QCheckBox* autosave_;
  QLineEdit* folder_;
};

}  // namespace roundlab::app
