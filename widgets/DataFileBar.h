#pragma once
// Which data file a view works on, in one line — "Calibration set: fmnist_calib.h5 — 1,024
// samples of 1×28×28, labelled · SHA-256 3f2a9c1e… (in /usr/share/roundlab/demo)", the whole path
// and hash in its tooltip — with a Change… button beside it, so the user sees and changes the data
// where the numbers it makes are shown.
#include <QWidget>

class QLabel;
class QPushButton;

namespace roundlab::widgets {

class DataFileBar : public QWidget {
  Q_OBJECT
 public:
  // `role`: what the file is for ("Calibration set").
  explicit DataFileBar(const QString& role, QWidget* parent = nullptr);
  // A new file: its description follows (setDescription) once the engine has read it.
  void setFile(const QString& path);
  // What the file at `path` holds ("1,024 samples of 1×28×28, labelled"), and its SHA-256 (read
  // apart: a large file takes a while); each ignored unless `path` is still the bar's file.
  void setDescription(const QString& path, const QString& description);
  void setSha256(const QString& path, const QString& sha256);
  QString file() const { return path_; }
  QLabel* label() const { return label_; }
  QPushButton* changeButton() const { return change_; }

 Q_SIGNALS:
  void changeRequested();

 private:
  void showText();
  QString role_, path_, description_, sha256_;
  QLabel* label_;
  QPushButton* change_;
};

}  // namespace roundlab::widgets
