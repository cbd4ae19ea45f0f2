#include "app/gui/PreferencesDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

#include "app/gui/FormFields.h"

namespace roundlab::app {

PreferencesDialog::PreferencesDialog(const Preferences& preferences, QWidget* parent)
    : QDialog(parent),
      threads_(form::integer(1, std::max(1, QThread::idealThreadCount()), 1,
                             "LibTorch compute threads, from the next start of RoundLab (--threads overrides it).")),
      method_(form::choice({"recommended", "rtn", "adaround", "brecq", "qdrop", "gptq"},
                           "The method of the Run form at the first start and after Reset to defaults (otherwise the "
                           "form keeps the settings of the last run started).")),
      iterations_(form::integer(10, 100000, 500,
                                "Optimisation steps per layer or block of the Run form at the first start and after "
                                "Reset to defaults (the recommended method brings its own cap).")),
      memory_(form::integer(64, 1 << 20, 2048,
                            "Calibration activations beyond this many MiB are kept in a temporary file instead of "
                            "memory (slower, but large models fit).")),
      scheme_(form::choice({"Follow the system", "Light", "Dark"}, "The colours of the window and the plots.")),
      fontScale_(form::number(0.5, 3.0, 2, 0.25,
                              "Size of every plot's text relative to the window's: 1.5 or 2 for a projector.")),
      autosave_(form::check("Autosave each new run", "Saved for File ▸ Recover last session after a crash.")),
      folder_(new QLineEdit) {
  setWindowTitle("Preferences — RoundLab");
  memory_->setSuffix(" MiB");
  fontScale_->setSuffix(" ×");
  folder_->setPlaceholderText("the documents folder");
  folder_->setToolTip("Where Save session proposes to save (empty: the documents folder)");
  auto* browse = new QPushButton("Choose…");
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Sessions folder", folder_->text());
    if (!dir.isEmpty()) folder_->setText(dir);
  });
  auto* folderRow = new QHBoxLayout;
  folderRow->addWidget(folder_, 1);
  folderRow->addWidget(browse);
  auto* form = new QFormLayout;
  form->addRow("Compute threads", threads_);
  form->addRow("Default method", method_);
  form->addRow("Default iterations", iterations_);
  form->addRow("Activation memory", memory_);
  form->addRow("Colour scheme", scheme_);
  form->addRow("Plot font scale", fontScale_);
  form->addRow("", autosave_);
  form->addRow("Sessions folder", folderRow);
  auto* note =
      new QLabel(QString("This machine has %1 hardware threads; a change of threads applies at the next start.")
                     .arg(QThread::idealThreadCount()));
  note->setWordWrap(true);
  note->setEnabled(false);
  auto* buttons =
      new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this,
          [this] { setValue(Preferences()); });
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(note);
  layout->addWidget(buttons);
  setValue(preferences);
}

void PreferencesDialog::setValue(const Preferences& p) {
  threads_->setValue(p.threads);
  method_->setCurrentText(p.method);
  iterations_->setValue(p.iterations);
  memory_->setValue(static_cast<int>(std::min<int64_t>(p.activationMemoryMiB, memory_->maximum())));
  scheme_->setCurrentIndex(p.colorScheme);
  fontScale_->setValue(p.plotFontScale);
  autosave_->setChecked(p.autosave);
  folder_->setText(p.sessionFolder);
}

Preferences PreferencesDialog::value() const {
  Preferences p;
  p.threads = threads_->value();
  p.method = method_->currentText();
  p.iterations = iterations_->value();
  p.activationMemoryMiB = memory_->value();
  p.colorScheme = scheme_->currentIndex();
  p.plotFontScale = fontScale_->value();
  p.autosave = autosave_->isChecked();
  p.sessionFolder = folder_->text().trimmed();
  return p;
}

}  // namespace roundlab::app
