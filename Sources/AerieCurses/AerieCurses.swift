// AerieCurses: the only module that imports ncurses.
import CNcursesw
