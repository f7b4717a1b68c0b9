module Util
end
