"""tf.gfile and tf.io.gfile on the local filesystem, with TF's errors."""

import os

import pytest

import flowexec as tf


def test_gfile_write_read_text_and_binary(tmp_path):
    path = str(tmp_path / "a.txt")
    with tf.gfile.GFile(path, "w") as f:
        f.write("line1\nline2\n")
    with tf.gfile.GFile(path) as f:
        assert f.readline() == "line1\n"
        assert f.tell() == 6
        assert f.read() == "line2\n"
        assert f.size() == 12
        f.seek(0)
        assert list(f) == ["line1\n", "line2\n"]
    with tf.gfile.Open(path, "rb") as f:
        assert f.read(5) == b"line1"
        f.seek(position=1)
        assert f.read(4) == b"ine1"
    with tf.gfile.FastGFile(path, "ab") as f:
        f.write("x")  # str into a binary file is encoded, as TF's GFile does
    assert open(path, "rb").read().endswith(b"\nx")


def test_gfile_opens_lazily_and_missing_files_are_not_found(tmp_path):
    f = tf.gfile.GFile(str(tmp_path / "missing"))
    with pytest.raises(tf.errors.NotFoundError, match="missing; No such file or directory"):
        f.read()
    with pytest.raises(tf.errors.NotFoundError):
        tf.gfile.Remove(str(tmp_path / "missing"))
    with pytest.raises(tf.errors.NotFoundError, match="Could not find directory"):
        tf.gfile.ListDirectory(str(tmp_path / "nodir"))
    with pytest.raises(tf.errors.NotFoundError):
        tf.gfile.Stat(str(tmp_path / "missing"))


def test_directory_operations(tmp_path):
    root = str(tmp_path / "r")
    tf.gfile.MakeDirs(os.path.join(root, "a", "b"))
    tf.gfile.MakeDirs(os.path.join(root, "a"))  # fine when it exists
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.gfile.MkDir(os.path.join(root, "a"))
    tf.gfile.MkDir(os.path.join(root, "c"))
    open(os.path.join(root, "a", "f.txt"), "w").write("12345")
    assert tf.gfile.ListDirectory(root) == ["a", "c"]
    assert tf.gfile.IsDirectory(os.path.join(root, "a"))
    assert not tf.gfile.IsDirectory(os.path.join(root, "a", "f.txt"))
    assert tf.gfile.Glob(os.path.join(root, "a", "*.txt")) == [os.path.join(root, "a", "f.txt")]
    st = tf.gfile.Stat(os.path.join(root, "a", "f.txt"))
    assert (st.length, st.is_directory) == (5, False) and st.mtime_nsec > 0
    walked = list(tf.gfile.Walk(root))
    assert walked[0][0] == root and sorted(walked[0][1]) == ["a", "c"]
    bottom_up = [d for d, _, _ in tf.gfile.Walk(root, in_order=False)]
    assert bottom_up[-1] == root
    assert list(tf.gfile.Walk(str(tmp_path / "none"))) == []
    tf.gfile.DeleteRecursively(root)
    assert not tf.gfile.Exists(root)


def test_rename_and_copy_respect_overwrite(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    open(a, "w").write("A")
    open(b, "w").write("B")
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.gfile.Rename(a, b)
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.gfile.Copy(a, b)
    tf.gfile.Copy(a, b, overwrite=True)
    assert open(b).read() == "A"
    tf.gfile.Rename(a, str(tmp_path / "c"))
    assert not tf.gfile.Exists(a) and tf.gfile.Exists(str(tmp_path / "c"))


def test_remote_schemes_are_unimplemented_and_file_scheme_is_local(tmp_path):
    with pytest.raises(tf.errors.UnimplementedError, match="File system scheme 'gs' not"):
        tf.gfile.Exists("gs://bucket/x")
    open(tmp_path / "f", "w").write("z")
    assert tf.gfile.Exists("file://" + str(tmp_path / "f"))


def test_io_gfile_lower_case_names(tmp_path):
    g = tf.io.gfile
    d = g.join(str(tmp_path), "x", "y")
    g.makedirs(d)
    assert g.isdir(d) and g.exists(d)
    with g.GFile(g.join(d, "f"), "w") as f:
        f.write("hi")
    assert g.listdir(d) == ["f"]
    g.copy(g.join(d, "f"), g.join(d, "g"))
    with pytest.raises(tf.errors.AlreadyExistsError):
        g.rename(g.join(d, "f"), g.join(d, "g"))
    g.rename(g.join(d, "f"), g.join(d, "g"), overwrite=True)
    assert g.listdir(d) == ["g"] and g.stat(g.join(d, "g")).length == 2
    assert [p for p, _, _ in g.walk(str(tmp_path))][0] == str(tmp_path)
    g.remove(g.join(d, "g"))
    g.rmtree(g.join(str(tmp_path), "x"))
    assert g.glob(g.join(str(tmp_path), "*")) == []
