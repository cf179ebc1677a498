"""The sandbox's tiny LMS: just enough courses, enrollments, grades and completion to feed the adapter."""
