#pragma once
// The page RoundLab opens on when it starts without a file: what it is for in a line, how to
// start (the demo, a model, a session, the run a crash left), the recent files, and where to
// learn (the bundled guides, the keyboard shortcuts). Help ▸ Welcome brings it back.
#include <QWidget>

class QCheckBox;
class QCommandLinkButton;
class QListWidget;

namespace roundlab::app {

class WelcomePage : public QWidget {
  Q_OBJECT
 public:
  explicit WelcomePage(QWidget* parent = nullptr);
  // Most recent first; each opens by its kind (model, session, calibration set).
  void setRecentFiles(const QStringList& files);
  // Whether there is an autosaved run to recover.
  void setRecoverable(bool recoverable);

  QListWidget* recentList() const { return recent_; }
  QCommandLinkButton* demoButton() const { return demo_; }
  QCommandLinkButton* recoverButton() const { return recover_; }
  // "Show this page when RoundLab starts without a file" (saved as welcome/showAtStart).
  QCheckBox* showAtStart() const { return showAtStart_; }
  static bool shownAtStart();

 Q_SIGNALS:
  void demoRequested(bool transformer);
  void openModelRequested();
  void openSessionRequested();
  void recoverRequested();
  void fileRequested(const QString& path);
  // A bundled guide by its path relative to the documentation folder (empty: the README).
  void documentationRequested(const QString& document);
  void shortcutsRequested();
  void lessonsRequested();

 private:
  QListWidget* recent_;
  QCommandLinkButton *demo_, *recover_;
  QCheckBox* showAtStart_;
};

}  // namespace roundlab::app
