// A target whose module takes 2.5 s to load (as a large bundle on a cold cache might) and
// whose runs take no time: every executor start is slow, no input is.
const until = Date.now() + 2500;
while (Date.now() < until);
module.exports.fuzz = function fuzz() {};
