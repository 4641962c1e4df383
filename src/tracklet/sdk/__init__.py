"""The training-side SDK: init/log/finish, Run, writer, read API."""
