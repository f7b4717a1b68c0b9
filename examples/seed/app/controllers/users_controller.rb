class UsersController
end
