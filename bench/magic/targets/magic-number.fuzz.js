// A 4-byte magic number, as in a file format's header (Java class files start with it).
module.exports.fuzz = function (data) {
  if (data.length < 4) return;
  if (data.readUInt32BE(0) === 0xcafebabe) throw new Error("solved: the magic number 0xCAFEBABE");
};
