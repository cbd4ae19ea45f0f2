#pragma once
// Which data file a view works on, in one line — "Calibration set: fmnist_calib.h5 (in
// /usr/share/roundlab/demo)", the whole path in its tooltip — with a Change… button beside it, so
// the user sees and changes the data where the numbers it makes are shown.
#include <QWidget>

class QLabel;
class QPushButton;

namespace roundlab::widgets {

class DataFileBar : public QWidget {
  Q_OBJECT
 public:
  // `role`: what the file is for ("Calibration set").
  explicit DataFileBar(const QString& role, QWidget* parent = nullptr);
  void setFile(const QString& path);
  QString file() const { return path_; }
  QLabel* label() const { return label_; }
  QPushButton* changeButton() const { return change_; }

 Q_SIGNALS:
  void changeRequested();

 private:
  QString role_, path_;
  QLabel* label_;
  QPushButton* change_;
};

}  // namespace roundlab::widgets
